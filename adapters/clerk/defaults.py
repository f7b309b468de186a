"""Clerk's fixed addresses, apart from the clients, so settings can name them without importing httpx."""

DEFAULT_API_URL = "https://api.clerk.com/v1"
