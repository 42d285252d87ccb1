"""The Discord adapter: slash commands, buttons and posts over the shared services (discord.py)."""
