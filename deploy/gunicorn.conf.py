"""gunicorn settings for production: `gunicorn -c deploy/gunicorn.conf.py wsgi:app` behind deploy/nginx.conf.

Options given on the command line (`--bind`, `--workers`) override these.
"""

import faulthandler
import multiprocessing

bind = "127.0.0.1:8000"  # nginx proxies to it; never exposed directly
# Sync workers are safe only behind a buffering proxy: nginx hands over whole requests, so none waits on a
# slow client.
worker_class = "sync"
workers = multiprocessing.cpu_count() * 2 + 1
timeout = 30  # a request stuck longer than this gets its worker restarted
graceful_timeout = 30
keepalive = 5  # nginx keeps a few connections open to us (upstream keepalive)
max_requests = 2000  # recycle workers now and then, with jitter so they don't all restart at once
max_requests_jitter = 200
forwarded_allow_ips = "127.0.0.1,::1"  # only nginx on this host may say the request was https
control_socket_disable = True  # gunicorn 27's control socket under ~/.gunicorn is not needed
accesslog = "-"
errorlog = "-"


def post_worker_init(worker):
    """A crash inside the interpreter (a segfault in a C extension) leaves each thread's Python traceback in
    the log (stderr, which errorlog "-" writes to), not just "worker exited on signal 11"."""
    faulthandler.enable(all_threads=True)
