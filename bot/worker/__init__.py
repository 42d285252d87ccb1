"""The worker tier's worker process, ``python -m bot.worker``: makes clips for bots over Redis (arq)."""
