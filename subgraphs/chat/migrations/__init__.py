"""Tortoise migrations of the chat app, applied at start-up by the kit."""
