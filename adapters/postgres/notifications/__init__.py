"""The messages table: the record of every email and text the portal sends."""
