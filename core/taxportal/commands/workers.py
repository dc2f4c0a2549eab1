"""`taxportal serve --workers N`: one port, N worker processes, connections dealt in turn.

The parent process owns the listening socket. It accepts each connection and hands it to
the next worker over a Unix socket (SCM_RIGHTS), so every worker holds the same number of
connections. Browsers and proxies keep their connections open for minutes; when the
kernel spread them (SO_REUSEPORT hashes each new connection), 20 of them came out 12/8 in
one run and even in another, and the client list's p95 went from 15 to 38 ms with the
luck of the split. No state lives in a worker: sessions, codes and limits are in the
database.

A worker that dies while serving is replaced. One that dies before it is ready (a bad
configuration, an unmigrated database) stops the server with its exit code: every other
worker would fail the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import selectors
import signal
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from typing import Any

from aiohttp import web

from taxportal.commands.serving import LOG_FORMAT, use_uvloop
from taxportal.config import AppConfig, ConfigError

log = logging.getLogger("taxportal")
BACKLOG = 1024
READY = b"r"  # a worker's one message to the parent: started, serving


@dataclass
class Worker:
    process: BaseProcess
    channel: socket.socket  # the parent's end of the socket pair
    ready: bool = False


def serve_balanced(
    config: AppConfig, count: int, make_app: Callable[[AppConfig, bool], web.Application]
) -> int:
    """Listen, start ``count`` workers, deal them the connections until SIGTERM or SIGINT."""
    listener = _listen(config.core.server.host, config.core.server.port)
    context = multiprocessing.get_context("spawn")
    workers = [_start(context, config, make_app, greet=index == 0) for index in range(count)]
    stopping = False

    def stop(*_: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    for worker in workers:
        selector.register(worker.channel, selectors.EVENT_READ, worker)
    turn = 0
    exit_code = 0
    try:
        while not stopping:
            for key, _ in selector.select(timeout=0.5):
                if key.fileobj is listener:
                    turn = _deal(listener, workers, turn)
                elif _hear(key.data, selector) and all(w.ready for w in workers):
                    log.info("all %d workers are serving", len(workers))
            for index, worker in enumerate(workers):
                if stopping or worker.process.is_alive():  # Ctrl-C reaches the workers too
                    continue
                code = worker.process.exitcode
                _forget(worker, selector)
                if not worker.ready:
                    exit_code, stopping = code or 1, True
                    break
                log.warning("a worker stopped (exit code %s): starting another", code)
                workers[index] = _start(context, config, make_app, greet=False)
                selector.register(workers[index].channel, selectors.EVENT_READ, workers[index])
    finally:
        selector.close()
        listener.close()
        for worker in workers:
            worker.process.terminate()
        for worker in workers:
            worker.process.join()
            worker.channel.close()
    return exit_code


def _hear(worker: Worker, selector: selectors.BaseSelector) -> bool:
    """Read a worker's message; True when it says it is ready."""
    try:
        message = worker.channel.recv(16)
    except OSError:
        message = b""
    if not message:  # its end closed: the process is going; is_alive() will tell
        selector.unregister(worker.channel)
    worker.ready = worker.ready or message == READY
    return message == READY


def _forget(worker: Worker, selector: selectors.BaseSelector) -> None:
    with contextlib.suppress(KeyError, ValueError):  # unregistered already at its EOF
        selector.unregister(worker.channel)
    worker.channel.close()


def _listen(host: str, port: int) -> socket.socket:
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0][0]
    listener = socket.create_server((host, port), family=family, backlog=BACKLOG)
    listener.setblocking(False)
    return listener


def _start(
    context: Any,
    config: AppConfig,
    make_app: Callable[[AppConfig, bool], web.Application],
    greet: bool,
) -> Worker:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    process = context.Process(target=run_worker, args=(config, make_app, greet, theirs))
    process.start()
    theirs.close()
    return Worker(process, ours)


def _deal(listener: socket.socket, workers: list[Worker], turn: int) -> int:
    """Accept what is waiting and hand each connection to the next ready worker (to any,
    while none is ready yet: it waits in the worker's socket until it is)."""
    while True:
        try:
            connection, _ = listener.accept()
        except (BlockingIOError, InterruptedError):
            return turn
        except OSError as exc:  # out of file descriptors, say: leave it queued, try again
            log.warning("could not accept a connection: %s", exc)
            time.sleep(0.05)
            return turn
        ready = [worker for worker in workers if worker.ready] or workers
        with connection:
            for _ in range(len(ready)):
                worker = ready[turn % len(ready)]
                turn += 1
                try:
                    socket.send_fds(worker.channel, [b"c"], [connection.fileno()])
                    break
                except OSError:  # that worker is gone: the next one takes it
                    continue


def run_worker(
    config: AppConfig,
    make_app: Callable[[AppConfig, bool], web.Application],
    greet: bool,
    channel: socket.socket,
) -> None:
    """A worker process: serves the connections the parent sends over ``channel``."""
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    use_uvloop()
    try:
        asyncio.run(_serve_handed(make_app(config, greet), channel))
    except ConfigError as exc:  # an unmigrated database, say: one line, as `serve` says it
        print(f"taxportal: {exc}", file=sys.stderr, flush=True)
        sys.exit(2)


async def _serve_handed(app: web.Application, channel: socket.socket) -> None:
    runner = web.AppRunner(app, access_log=None)
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
            message, fds, _, _ = socket.recv_fds(channel, 16, 16)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            message, fds = b"", []
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
