# mlkb API (`mlkb serve`) for docker-compose.yml; see the README's "Docker" section.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    MLKB_HOME=/data

WORKDIR /src
COPY . /src

# The README's image install: mlkb with the CPU build of PyTorch (no CUDA libraries).
RUN pip install --extra-index-url https://download.pytorch.org/whl/cpu .

RUN useradd --create-home --uid 10001 mlkb \
    && mkdir -p /data && chown mlkb:mlkb /data
USER mlkb
WORKDIR /home/mlkb

EXPOSE 8765
HEALTHCHECK --interval=15s --timeout=5s --start-period=90s --retries=5 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8765/readyz', timeout=4)"]
CMD ["mlkb", "serve", "--host", "0.0.0.0", "--port", "8765"]
