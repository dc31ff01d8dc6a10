"""A logged-in browser's requests over real HTTP (loopback), for the bench, the served process and the load."""
import http.client
import re
import threading
import time
import urllib.parse

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class HttpSession:
    """One user: a keep-alive connection, the session cookie, log-in through /login with its CSRF token."""

    def __init__(self, host, port, timeout=60):
        self.host, self.port, self.timeout = host, port, timeout
        self.cookies = {}
        self.conn = None

    def _request(self, method, url, body=None, headers=None):
        headers = dict(headers or {})
        url = urllib.parse.quote(url, safe="/?=&%:+;,")  # «?search=иван» as a browser sends it
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, url, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed a kept-alive connection between requests (gunicorn's sync workers do).
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        return response.status, data

    def get(self, url):
        """(seconds, status, body bytes)."""
        started = time.perf_counter()
        status, data = self._request("GET", url)
        return time.perf_counter() - started, status, data

    def post(self, url, fields):
        body = urllib.parse.urlencode(fields)
        return self._request("POST", url, body=body,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})

    def login(self, login, password):
        _, status, page = self.get("/login")
        found = CSRF_RE.search(page.decode("utf-8", "replace"))
        if status != 200 or not found:
            raise AssertionError(f"/login: {status}")
        status, body = self.post("/login", {"login": login, "password": password, "csrf_token": found.group(1)})
        if status != 302:
            raise AssertionError(f"вход {login}: {status} {body[:300]!r}")
        return self

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def serve_in_thread(app):
    """The app behind waitress (as `make run` serves it) on a free loopback port, in this process: the bench
    times pages over real HTTP and still counts their SQL. Returns (port, stop)."""
    import logging

    from waitress.server import create_server

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # «Task queue depth is 1» under a busy machine

    server = create_server(app, host="127.0.0.1", port=0, threads=1, ident="bench")
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()

    def stop():
        server.task_dispatcher.shutdown()
        server.close()

    return server.effective_port, stop
