"""Invitations between families and providers: one public token per invite, accepted by linking."""
