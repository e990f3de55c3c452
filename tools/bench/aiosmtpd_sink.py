#!/usr/bin/env python3
"""aiosmtpd as a benchmark sink: `aiosmtpd_sink.py PORT` accepts every message, keeps nothing,
and prints how many it received when it gets SIGTERM (and every 5 s). Loopback only.

The same SMTP implementation as the delivery test (tests/tests/api/smtp_server.rs) with
aiosmtpd's `Sink` behaviour plus a counter; tools/bench/smtp_sink.py is the lighter
hand-written alternative (no parsing at all)."""
import asyncio, signal, sys

from aiosmtpd.smtp import SMTP

port = int(sys.argv[1])
count = 0


class Counter:
    async def handle_DATA(self, server, session, envelope):
        global count
        count += 1
        return "250 OK"


async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(Counter(), hostname="sink"), "127.0.0.1", port)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    print(f"listening on 127.0.0.1:{port}", flush=True)

    async def report():
        while True:
            await asyncio.sleep(5)
            print(f"received {count}", flush=True)

    reporter = asyncio.create_task(report())
    await stop.wait()
    reporter.cancel()
    server.close()
    print(f"received {count}", flush=True)


asyncio.run(main())
