"""The real panel in a subprocess (flask serve, waitress) and a small HTTP client that logs in like a person."""
import http.client
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
FLASK = [sys.executable, "-m", "flask", "--app", "app"]
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
VERSION_RE = re.compile(r'name="loaded_version"[^>]*value="([^"]*)"')


def _env(database_url, instance):
    env = dict(os.environ)
    env.update(DATABASE_URL=database_url, INSTANCE_PATH=str(instance), SECRET_KEY="load-test",
               PYTHONUNBUFFERED="1")
    return env


def add_user(database_url, login, role, password):
    """A user written straight into the panel's database, with the tests' cheap password hash (conftest): `flask
    create-user` cost a second process importing the panel, and its strong hash made every client's log-in a
    tenth of a second of the server's time. The command itself is tested in test_cli.py."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from models import User

    engine = create_engine(database_url)
    with Session(engine) as session:
        user = User(login=login, full_name=login, active=True)
        user.roles = [role]
        user.set_password(password)
        session.add(user)
        session.commit()
    engine.dispose()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`flask --app app serve` on a free port; .log holds its output."""

    def __init__(self, database_url, instance, threads=8):
        self.port = free_port()
        self.log = Path(instance) / f"serve-{self.port}.log"
        env = _env(database_url, instance)
        env.update(HOST="127.0.0.1", PORT=str(self.port), THREADS=str(threads))
        self.output = open(self.log, "w")
        self.process = subprocess.Popen(FLASK + ["serve"], cwd=ROOT, env=env, stdout=self.output,
                                        stderr=subprocess.STDOUT)

    def wait_ready(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"сервер не запустился:\n{self.text()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError(f"сервер не открыл порт за 30 с:\n{self.text()}")

    def text(self):
        if not self.output.closed:
            self.output.flush()
        return self.log.read_text(errors="replace")

    def kill(self):
        self.process.kill()  # SIGKILL: no clean-up of any kind
        self.process.wait()
        self.output.close()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.output.close()


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def location(self):
        return self.headers.get("location", "")


class Browser:
    """One user's keep-alive connection with the session cookie, as a browser would hold it."""

    def __init__(self, port, timeout=30):
        self.port = port
        self.timeout = timeout
        self.cookies = {}
        self.conn = None

    def request(self, method, url, form=None):
        body = urlencode(form).encode() if form is not None else None
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.conn.request(method, url, body=body, headers=headers)
                raw = self.conn.getresponse()
                data = raw.read().decode("utf-8", errors="replace")
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server may close an idle keep-alive connection; a fresh one is what a browser uses.
                self.conn.close()
                self.conn = None
                if attempt == 2 or method != "GET":
                    raise
        for name, value in raw.getheaders():
            if name.lower() == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, val = pair.partition("=")
                if val and "expires=thu, 01 jan 1970" not in value.lower():
                    self.cookies[key.strip()] = val
                else:
                    self.cookies.pop(key.strip(), None)
        return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, data)

    def get(self, url):
        return self.request("GET", url)

    def post(self, url, form):
        return self.request("POST", url, form)

    def login(self, login, password):
        page = self.get("/login")
        token = CSRF_RE.search(page.body).group(1)
        response = self.post("/login", {"login": login, "password": password, "csrf_token": token})
        assert response.status == 302, f"вход не удался: {response.status}"
        return response

    def close(self):
        if self.conn is not None:
            self.conn.close()


def id_from_location(location):
    query = urlsplit(location).query
    match = re.search(r"(?:^|&)id=(\d+)", query)
    return int(match.group(1)) if match else None


ISSUED_ON = "01.09.2025"


class OrderWriter:
    """A secretary creating orders and editing them through the Flask-Admin forms.

    acks maps an order number to the title the server acknowledged last (a 302 after the save);
    problems collects any answer a user would call a failure.
    """

    def __init__(self, port, login, password, prefix):
        self.browser = Browser(port)
        self.login, self.password, self.prefix = login, password, prefix
        self.acks = {}
        self.attempts = {}  # the last title sent for a number, acknowledged or not (a kill may cut the answer)
        self.ids = {}
        self.problems = []
        self.requests = 0

    def _check(self, response, what, expected):
        self.requests += 1
        if response.status != expected or "database is locked" in response.body:
            self.problems.append(f"{what}: {response.status} {response.body[:300]!r}")
            return False
        return True

    def create(self, number):
        page = self.browser.get("/admin/order/new/")
        if not self._check(page, "форма приказа", 200):
            return
        title = f"Приказ {number}"
        response = self.browser.post("/admin/order/new/", {
            "csrf_token": CSRF_RE.search(page.body).group(1), "number": number, "issued_on": ISSUED_ON,
            "kind": "other", "title": title, "_continue_editing": "1"})
        if self._check(response, f"создание {number}", 302):
            self.acks[number] = title
            self.ids[number] = id_from_location(response.location)

    def edit(self, number, step):
        record_id = self.ids[number]
        page = self.browser.get(f"/admin/order/edit/?id={record_id}")
        if not self._check(page, f"форма правки {number}", 200):
            return
        title = f"Приказ {number}, правка {step}"
        self.attempts[number] = title
        response = self.browser.post(f"/admin/order/edit/?id={record_id}", {
            "csrf_token": CSRF_RE.search(page.body).group(1), "number": number, "issued_on": ISSUED_ON,
            "kind": "other", "title": title, "loaded_version": VERSION_RE.search(page.body).group(1)})
        if self._check(response, f"правка {number}", 302):
            self.acks[number] = title

    def run(self, seconds, ready=None, stop=None, pause=None):
        """Log in, wait for the others at `ready` (a Barrier), then save orders for `seconds`; between one
        order's saves and the next, wait a random time within `pause` (low, high), as a person filling a form does."""
        try:
            self.browser.login(self.login, self.password)
            if ready is not None:
                ready.wait(timeout=120)
            deadline = time.monotonic() + seconds
            step = 0
            while time.monotonic() < deadline and not (stop and stop.is_set()):
                step += 1
                number = f"{self.prefix}-{step}"
                self.create(number)
                if number in self.ids and self.ids[number]:
                    self.edit(number, step)
                if pause:
                    time.sleep(random.uniform(*pause))
        except (OSError, http.client.HTTPException, threading.BrokenBarrierError) as exc:
            if not (stop and stop.is_set()):
                self.problems.append(f"соединение: {exc!r}")
        finally:
            self.browser.close()
