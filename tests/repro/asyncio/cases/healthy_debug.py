import asyncio
import logging

logging.basicConfig(level=logging.DEBUG, format="%(levelname)s:%(name)s:%(message)s")


async def handler():
    await asyncio.sleep(0.05)


async def main():
    await asyncio.gather(handler(), handler())
    print("served 2 requests")


asyncio.run(main(), debug=True)
