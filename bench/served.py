"""The panel as `make run` serves it (`flask --app app serve`, waitress) in its own process: how long the first
pages after start take, and how much memory the process holds once the bench's pages have been asked of it.

Targets (issue 22, item 6): the first page after start ≤ 1 s; ≤ 120 MB resident after the bench.
Run alone: `.venv/bin/python bench/served.py DATABASE_URL [URL ...]` (the bench user of bench/seed.py logs in).
"""
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from http_client import HttpSession  # noqa: E402

FIRST_PAGE_S = 1.0
RSS_MB = 120


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _memory(pid):
    """(resident MB, peak resident MB) of a process, from /proc."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def start(database_url, instance, port, command=None):
    env = dict(os.environ, DATABASE_URL=database_url, INSTANCE_PATH=str(instance), HOST="127.0.0.1",
               PORT=str(port))
    command = command or [sys.executable, "-m", "flask", "--app", "app", "serve"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_listening(process, port, timeout=120):
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"сервер завершился: {process.stderr.read().decode()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return time.perf_counter() - started
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("сервер не начал принимать соединения")


def measure(database_url, urls, login, password, rounds=2):
    """Start the server, time its first pages, ask every url `rounds` times, read its memory, stop it."""
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="bench-served-") as instance:
        process = start(database_url, instance, port)
        try:
            start_s = wait_listening(process, port)
            user = HttpSession("127.0.0.1", port)
            first_login, status, _ = user.get("/login")
            assert status == 200, status
            user.login(login, password)
            first_page, status, _ = user.get(urls[0])
            assert status == 200, (urls[0], status)
            rss_start, _ = _memory(process.pid)
            errors = 0
            for _ in range(rounds):
                for url in urls:
                    _, status, _ = user.get(url)
                    errors += status != 200
            user.close()
            rss, peak = _memory(process.pid)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
    return dict(start_s=start_s, first_login_s=first_login, first_page_s=first_page, first_url=urls[0],
                rss_start_mb=rss_start, rss_mb=rss, peak_mb=peak, errors=errors, pages=rounds * len(urls))


def failures(result):
    missed = []
    if result["first_page_s"] > FIRST_PAGE_S or result["first_login_s"] > FIRST_PAGE_S:
        missed.append(f"первая страница > {FIRST_PAGE_S:g} с")
    if result["rss_mb"] > RSS_MB:
        missed.append(f"память > {RSS_MB} МБ")
    if result["errors"]:
        missed.append(f"{result['errors']} ошибок")
    return missed


def report(title, result):
    missed = failures(result)
    print(f"\n{title}: процесс `flask serve` (waitress) — запуск до приёма соединений {result['start_s']:.1f} с; "
          f"первая страница: вход {result['first_login_s'] * 1000:.0f} мс, {result['first_url']} "
          f"{result['first_page_s'] * 1000:.0f} мс; память после входа {result['rss_start_mb']:.0f} МБ, после "
          f"{result['pages']} страниц бенчмарка {result['rss_mb']:.0f} МБ (пик {result['peak_mb']:.0f} МБ) — "
          f"{'да' if not missed else 'НЕТ: ' + ', '.join(missed)}")


if __name__ == "__main__":
    import seed as seeder

    found = measure(sys.argv[1], sys.argv[2:] or ["/admin/student/", "/admin/personal_file/"], seeder.BENCH_LOGIN,
                    seeder.BENCH_PASSWORD)
    report("Сервер", found)
    raise SystemExit(1 if failures(found) else 0)
