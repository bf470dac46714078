#!/bin/sh
# Concord's one entrypoint: the container, the systemd units and CI start every process through it.
#
#   entrypoint.sh setup       install or upgrade (migrate, static files, schedules, shipped defaults, first
#                             admin from CONCORD_ADMIN_*); safe to run before every start
#   entrypoint.sh web         the console and API: gunicorn on CONCORD_BIND with WEB_WORKERS processes
#   entrypoint.sh worker      a django-q2 cluster of Q_WORKERS processes, without the scheduler
#   entrypoint.sh scheduler   the one cluster that also queues the schedules' due tasks (Q_SCHEDULER_WORKERS)
#   entrypoint.sh manage ...  any other command (createsuperuser, setup_status, verify_audit_chain, ...)
#
# CONCORD_PYTHON is the Python that has Concord installed (a virtualenv's bin/python); the settings come
# from the environment (docs/operations.md, docs/install.md).
set -eu

PYTHON="${CONCORD_PYTHON:-python3}"

concord() {
    exec "$PYTHON" -m console.cli "$@"
}

command="${1:-}"
[ $# -gt 0 ] && shift

case "$command" in
    setup)
        if [ "${CONCORD_COLLECTSTATIC:-1}" = "0" ]; then
            set -- --skip-static "$@"
        fi
        concord setup --no-input "$@"
        ;;
    web)
        exec "$PYTHON" -m gunicorn console.wsgi:application \
            --bind "${CONCORD_BIND:-0.0.0.0:8000}" \
            --workers "${WEB_WORKERS:-2}" \
            --timeout "${WEB_TIMEOUT:-60}" \
            --access-logfile - \
            "$@"
        ;;
    worker)
        # The schedules are queued by the scheduler process alone; a worker only works tasks.
        export Q_SCHEDULER=0
        concord qcluster "$@"
        ;;
    scheduler)
        export Q_SCHEDULER=1 Q_WORKERS="${Q_SCHEDULER_WORKERS:-1}"
        concord qcluster "$@"
        ;;
    manage)
        concord "$@"
        ;;
    *)
        echo "usage: $0 setup|web|worker|scheduler|manage [arguments]" >&2
        exit 64
        ;;
esac
