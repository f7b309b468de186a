"""Engagement: which banners and links people click (the frontend's tracking ids)."""
