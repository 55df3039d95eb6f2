"""Read a cometstream WebSocket stream with Python's websockets library.

usage: ws_client.py URL COUNT TIMEOUT_SECONDS

Prints "ready" once connected, then each text message on its own line, and
exits 0 after COUNT messages; exits 2 on a timeout or a closed stream.
"""
import asyncio
import sys

import websockets


async def main(url, count, timeout):
    async with websockets.connect(url, ping_interval=None) as ws:
        print("ready", flush=True)
        for _ in range(count):
            msg = await asyncio.wait_for(ws.recv(), timeout)
            if not isinstance(msg, str):
                print("binary frame received", file=sys.stderr)
                return 2
            print(msg, flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]))))
    except (asyncio.TimeoutError, websockets.exceptions.ConnectionClosed) as e:
        print(f"stream ended: {e!r}", file=sys.stderr)
        sys.exit(2)
