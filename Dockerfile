# jazzbot: the Discord bot (or, without DISCORD_TOKEN and with `docker run -it`, the local console).
#   docker build -t jazzbot .
#   docker run -d --name jazzbot --env-file .env -v jazzbot-data:/data jazzbot
# See docs/DISCORD.md for the settings and the Discord application; compose.yaml runs the same image
# scaled out (gateway shards, clip workers, Redis, Postgres; docs/SCALING.md).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# FluidSynth renders the band with the General MIDI soundfont; ffmpeg encodes Opus/MP3. The same script
# (and so the same package list) as ./jazzbot and the Makefile; the image has its own Python.
COPY scripts/install-system-packages.sh /tmp/
RUN sh /tmp/install-system-packages.sh \
    && rm -rf /var/lib/apt/lists/* /tmp/install-system-packages.sh

WORKDIR /src

# Dependencies first, from pyproject.toml alone with empty packages, so editing the code does not
# reinstall them; then the project itself without touching its dependencies. The `train` extra
# (TensorFlow, music21, matplotlib) stays out: the bot runs the shipped model with NumPy.
COPY pyproject.toml README.md ./
RUN mkdir bot model \
    && touch bot/__init__.py model/__init__.py \
    && pip install . \
    && pip uninstall -y jazzbot \
    && rm -rf bot model build ./*.egg-info
COPY bot ./bot
COPY model ./model
RUN pip install --no-deps . && rm -rf build ./*.egg-info

# An unprivileged user; the database (and console output) live on the /data volume.
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/jazzbot jazzbot \
    && mkdir -p /data \
    && chown jazzbot:jazzbot /data
ENV JAZZBOT_DATABASE=/data/jazzbot.db \
    JAZZBOT_OUT_DIR=/data/out
VOLUME ["/data"]
USER jazzbot
WORKDIR /home/jazzbot

# The health check asks the running bot (GET /health on its loopback port): every gateway shard of this
# process connected with its heartbeat answered, and the job queue taking work (bot/services/health.py).
# `python -m bot --check` (settings, database, ffmpeg, soundfont, model) stays for a person to run.
# compose.yaml runs clip workers from this image too (`python -m bot.worker`), with the same check.
ENV JAZZBOT_HEALTH_PORT=8081
HEALTHCHECK --interval=30s --timeout=15s --start-period=120s --retries=3 \
    CMD ["python", "-m", "bot.health"]

CMD ["python", "-m", "bot"]
