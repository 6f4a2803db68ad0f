"""A real websockets client: connect, optionally send one message, print what happens."""

import asyncio
import sys

import websockets


async def main(url: str, mode: str) -> None:
    try:
        async with websockets.connect(url, open_timeout=5) as conn:
            if mode == "send":
                await conn.send("hi")
                print(await asyncio.wait_for(conn.recv(), 5))
            else:
                await asyncio.sleep(0.3)
    except Exception as exc:
        print(f"{type(exc).__module__}.{type(exc).__name__}: {exc}")


asyncio.run(main(sys.argv[1], sys.argv[2]))
