# Production image: gunicorn serving oms, the same image runs the Celery worker and beat.
FROM node:20-bookworm-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY scripts/copy_assets.sh scripts/
RUN ./scripts/copy_assets.sh

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_ENV=production
WORKDIR /app
RUN useradd --system --create-home --uid 1000 oms
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
COPY --from=assets /src/static/vendor static/vendor
RUN for dir in locale */locale; do [ -d "$dir" ] && pybabel compile -d "$dir" -D django; done; \
    SECRET_KEY=build-only-not-secret-build-only-not-secret-build-only-not-secret ALLOWED_HOSTS=build \
    DATABASE_URL=postgres://build@db.invalid/build REDIS_URL=redis://cache.invalid:6379/0 \
    python manage.py collectstatic --noinput && mkdir -p /app/var && chown -R oms /app/var
USER oms
EXPOSE 8000
CMD ["gunicorn", "oms.wsgi:application", "--config", "oms/gunicorn.conf.py"]
