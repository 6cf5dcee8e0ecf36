# The batch analyzer (deep scans) that ECS Fargate runs: python -m chalicelib.deepscan --scan-id N.
# Slim base, dependencies built in a separate stage, code owned by root and read-only to the non-root user.
FROM python:3.11-slim AS deps
COPY requirements-analyzer.txt /tmp/
RUN pip install --no-cache-dir --prefix=/install -r /tmp/requirements-analyzer.txt

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY --from=deps /install /usr/local
WORKDIR /app
COPY detectors/ detectors/
COPY chalicelib/ chalicelib/
COPY templates/scan_report.html templates/
# rules compiled once at build time: the task starts without parsing YAML
RUN python -m detectors compile --rules detectors/rules/sigma --output detectors/rules/compiled.rules.pickle \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin analyzer
USER 10001
ENTRYPOINT ["python"]
CMD ["-m", "chalicelib.deepscan", "--help"]
