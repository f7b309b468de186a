"""Clerk: session-token verification, the Backend API directory, and webhook (Svix) deliveries."""
