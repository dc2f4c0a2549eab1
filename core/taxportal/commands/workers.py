"""`taxportal serve --workers N` (Linux): one port, N worker processes, connections dealt in turn.

The parent process owns the listening sockets. It accepts each connection and hands it to
the next ready worker over a Unix socket pair (SCM_RIGHTS), so with keep-alive
connections every worker holds about as many as the others. Browsers and proxies keep
their connections open for minutes; when the kernel spread them (SO_REUSEPORT hashes each
new connection), 20 of them came out 12/8 in one run and even in another, and the client
list's p95 went from 15 to 38 ms with the luck of the split. No state lives in a worker:
sessions, codes and limits are in the database.

A worker that has not yet taken the connections handed to it (its loop busy, or stuck)
is passed over while another has taken all of its own; the parent never waits on a
worker (its ends of the socket pairs are non-blocking), and when every pair is full it
stops accepting until one drains (the kernel's backlog holds the rest).

A worker that dies is replaced, after a pause that doubles while replacements keep dying
young (a database that is restarting, say). A first worker that dies before it is ready
(a bad configuration, an unmigrated database) stops the server with its exit code: every
other worker would fail the same way.
"""

from __future__ import annotations

import array
import asyncio
import collections
import contextlib
import fcntl
import logging
import multiprocessing
import selectors
import signal
import socket
import sys
import termios
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from typing import Any

from aiohttp import web

from taxportal import log_setup
from taxportal.commands.serving import use_uvloop
from taxportal.config import AppConfig, ConfigError
from taxportal.crypto import EncryptionKeyError

log = logging.getLogger("taxportal")
BACKLOG = 1024
READY = b"r"  # a worker's one message to the parent: started, serving
MAX_PENDING = 256  # accepted connections the parent holds while every worker is full
YOUNG_SECONDS = 30.0  # a worker dying sooner counts toward the restart pause
MAX_PAUSE_SECONDS = 30.0
STOP_SECONDS = 65.0  # aiohttp waits 60 s for requests in flight; then workers are killed
KEEPALIVE_SECONDS = 75.0  # as `web.run_app`: an idle connection is closed after this

MakeApp = Callable[[AppConfig, bool], web.Application]


@dataclass
class Worker:
    process: BaseProcess
    channel: socket.socket  # the parent's end of the socket pair, non-blocking
    first: bool  # started with the server, not as a replacement
    ready: bool = False
    started: float = field(default_factory=time.monotonic)


@dataclass
class Slot:
    worker: Worker | None
    restart_at: float = 0.0
    young_deaths: int = 0


def serve_balanced(config: AppConfig, count: int, make_app: MakeApp) -> int:
    """Listen, start ``count`` workers, deal them the connections until SIGTERM or SIGINT."""
    if sys.platform != "linux":
        raise ConfigError("--workers above 1 needs Linux; elsewhere run one process per port")
    server = config.core.server
    listeners = _listen(server.host, server.port)
    context = multiprocessing.get_context("spawn")
    selector = selectors.DefaultSelector()
    slots = [
        Slot(_start(context, config, make_app, selector, greet=index == 0, first=True))
        for index in range(count)
    ]
    stopping = False

    def stop(*_: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    pending: collections.deque[socket.socket] = collections.deque()
    accepting = False
    turn = 0
    exit_code = 0
    try:
        while not stopping:
            if accepting != (len(pending) < MAX_PENDING):  # back-pressure on the backlog
                accepting = not accepting
                for listener in listeners:
                    if accepting:
                        selector.register(listener, selectors.EVENT_READ)
                    else:
                        selector.unregister(listener)
            for key, _ in selector.select(timeout=0.05 if pending else 0.5):
                if isinstance(key.data, Worker):
                    if _hear(key.data, selector) and len(_ready(slots)) == len(slots):
                        log.info("all %d workers are serving", len(slots))
                else:
                    _accept(key.fileobj, pending)  # type: ignore[arg-type]
            turn = _hand_out(pending, _ready(slots), turn)
            if stopping:  # Ctrl-C reached the workers too: nothing to replace
                break
            exit_code = _tend(slots, selector, context, config, make_app)
            stopping = exit_code != 0
    finally:
        selector.close()
        for connection in [*listeners, *pending]:
            connection.close()
        _stop_all([slot.worker for slot in slots if slot.worker])
    return exit_code


def _ready(slots: list[Slot]) -> list[Worker]:
    return [worker for slot in slots if (worker := slot.worker) and worker.ready]


def _listen(host: str, port: int) -> list[socket.socket]:
    """One listening socket per address of ``host`` (``localhost``: 127.0.0.1 and ::1)."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    listeners = []
    for family, _, _, _, address in dict.fromkeys(found):
        listener = socket.create_server(address[:2], family=family, backlog=BACKLOG)
        listener.setblocking(False)
        listeners.append(listener)
    return listeners


def _start(
    context: Any,
    config: AppConfig,
    make_app: MakeApp,
    selector: selectors.BaseSelector,
    *,
    greet: bool,
    first: bool,
) -> Worker:
    """Spawn a worker; the parent listens on its end of the pair for "ready"."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    process = context.Process(target=run_worker, args=(config, make_app, greet, theirs))
    process.start()
    theirs.close()
    ours.setblocking(False)
    worker = Worker(process, ours, first)
    selector.register(ours, selectors.EVENT_READ, worker)
    return worker


def _accept(listener: socket.socket, pending: collections.deque[socket.socket]) -> None:
    while len(pending) < MAX_PENDING:
        try:
            connection, _ = listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:  # out of file descriptors, say: it stays in the backlog
            log.warning("could not accept a connection: %s", exc)
            return
        pending.append(connection)


def _hand_out(pending: collections.deque[socket.socket], ready: list[Worker], turn: int) -> int:
    """Each waiting connection to a ready worker: one that has taken every connection
    handed to it so far if there is one (a busy or stuck worker has not), in turn."""
    while pending and ready:
        order = [ready[(turn + step) % len(ready)] for step in range(len(ready))]
        order.sort(key=_unread)  # stable: the turn breaks ties
        turn += 1
        for worker in order:
            try:
                socket.send_fds(worker.channel, [b"c"], [pending[0].fileno()])
            except OSError:  # its socket pair is full, or it is gone: the next one
                continue
            pending.popleft().close()  # the worker has its own descriptor now
            break
        else:
            return turn  # every worker is full: try again shortly
    return turn


def _unread(worker: Worker) -> int:
    """Bytes the parent sent ``worker`` that it has not read yet (SIOCOUTQ)."""
    queued = array.array("i", [0])
    fcntl.ioctl(worker.channel.fileno(), termios.TIOCOUTQ, queued)
    return queued[0]


def _hear(worker: Worker, selector: selectors.BaseSelector) -> bool:
    """Read a worker's message; True when it says it is ready."""
    try:
        message = worker.channel.recv(16)
    except BlockingIOError:
        return False
    except OSError:
        message = b""
    if not message:  # its end closed: the process is going; _tend() sees to it
        with contextlib.suppress(KeyError, ValueError):
            selector.unregister(worker.channel)
    worker.ready = worker.ready or message == READY
    return message == READY


def _tend(
    slots: list[Slot],
    selector: selectors.BaseSelector,
    context: Any,
    config: AppConfig,
    make_app: MakeApp,
) -> int:
    """Replace dead workers (pausing while they die young); an exit code to stop with."""
    now = time.monotonic()
    for slot in slots:
        worker = slot.worker
        if worker is not None and not worker.process.is_alive():
            with contextlib.suppress(KeyError, ValueError):
                selector.unregister(worker.channel)
            worker.channel.close()
            code = worker.process.exitcode or 0
            if worker.first and not worker.ready:
                return code if code > 0 else 1
            young = now - worker.started < YOUNG_SECONDS
            slot.young_deaths = slot.young_deaths + 1 if young else 0
            pause = min(MAX_PAUSE_SECONDS, 2 ** (slot.young_deaths - 1)) if young else 0.0
            log.warning("a worker stopped (exit code %s): another in %.0f s", code, pause)
            slot.worker, slot.restart_at = None, now + pause
        if slot.worker is None and now >= slot.restart_at:
            slot.worker = _start(context, config, make_app, selector, greet=False, first=False)
    return 0


def _stop_all(workers: list[Worker]) -> None:
    for worker in workers:
        worker.process.terminate()
    deadline = time.monotonic() + STOP_SECONDS
    for worker in workers:
        worker.process.join(max(0.0, deadline - time.monotonic()))
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        worker.channel.close()


def run_worker(config: AppConfig, make_app: MakeApp, greet: bool, channel: socket.socket) -> None:
    """A worker process: serves the connections the parent sends over ``channel``."""
    log_setup.configure(config.core.server.log_format)
    use_uvloop()
    try:
        asyncio.run(_serve_handed(make_app(config, greet), channel))
    except (ConfigError, EncryptionKeyError) as exc:  # one line, as `serve` says it
        print(f"taxportal: {exc}", file=sys.stderr, flush=True)
        sys.exit(2)
    except (KeyboardInterrupt, BrokenPipeError):  # stopped, or the parent went, at start
        sys.exit(0)


async def _serve_handed(app: web.Application, channel: socket.socket) -> None:
    runner = web.AppRunner(app, access_log=None, keepalive_timeout=KEEPALIVE_SECONDS)
    await runner.setup()
    channel.send(READY)
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    channel.setblocking(False)
    tasks: set[asyncio.Task[Any]] = set()

    def take() -> None:
        try:
            message, fds, flags, _ = socket.recv_fds(channel, 16, 16)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            message, fds, flags = b"", [], 0
        if flags & socket.MSG_CTRUNC:  # no descriptor to spare: the kernel dropped one
            log.warning("a connection was lost on its way to this worker (out of files?)")
        if not message:  # the parent is gone: so is the port; stop with it
            stopping.set()
            return
        for fd in fds:
            connection = socket.socket(fileno=fd)
            task = loop.create_task(loop.connect_accepted_socket(runner.server, connection))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    loop.add_reader(channel.fileno(), take)
    try:
        await stopping.wait()
    finally:
        loop.remove_reader(channel.fileno())
        channel.close()
        await runner.cleanup()
