#!/usr/bin/env python3
"""A minimal SMTP sink for benchmarks: `smtp_sink.py PORT DELAY` accepts every message after
DELAY seconds (a relay's latency) and prints how many it received every 5 s and on SIGTERM.
Loopback only."""
import asyncio, signal, sys

port, delay = int(sys.argv[1]), float(sys.argv[2])
count = 0

async def handle(reader, writer):
    global count
    writer.write(b"220 sink ESMTP\r\n")
    await writer.drain()
    while True:
        line = await reader.readline()
        if not line:
            break
        cmd = line[:4].upper()
        if cmd == b"EHLO":
            writer.write(b"250-sink\r\n250 8BITMIME\r\n")
        elif cmd == b"DATA":
            writer.write(b"354 go ahead\r\n")
            await writer.drain()
            while (await reader.readline()) not in (b".\r\n", b""):
                pass
            await asyncio.sleep(delay)
            count += 1
            writer.write(b"250 queued\r\n")
        elif cmd == b"QUIT":
            writer.write(b"221 bye\r\n")
            await writer.drain()
            break
        else:
            writer.write(b"250 ok\r\n")
        await writer.drain()
    writer.close()

async def report():
    while True:
        await asyncio.sleep(5)
        print(f"received {count}", flush=True)

async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    reporter = asyncio.create_task(report())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    print(f"listening on 127.0.0.1:{port}", flush=True)
    await stop.wait()
    reporter.cancel()
    server.close()
    print(f"received {count}", flush=True)

asyncio.run(main())
