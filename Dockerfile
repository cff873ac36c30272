# One image for the web app and the workers (docker-compose.yml picks the command).
FROM python:3.11-slim-bookworm
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      tesseract-ocr tesseract-ocr-vie fonts-dejavu-core fonts-liberation2 poppler-utils postgresql-client \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY core core
COPY models models
COPY ingest ingest
COPY classify classify
COPY search search
COPY web web
RUN pip install --no-cache-dir .
ENV DONTHU_DATA_DIR=/data DONTHU_HOST=0.0.0.0 OMP_THREAD_LIMIT=1
VOLUME /data
EXPOSE 8000
CMD ["gunicorn", "--workers", "2", "--threads", "4", "--bind", "0.0.0.0:8000", "web.wsgi:app"]
