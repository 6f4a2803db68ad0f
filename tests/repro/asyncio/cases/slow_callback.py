import asyncio
import logging
import time

logging.basicConfig(format="%(levelname)s:%(name)s:%(message)s")


async def handler():
    time.sleep(0.3)  # blocking call inside a coroutine


async def main():
    loop = asyncio.get_running_loop()
    loop.slow_callback_duration = 0.1
    await asyncio.gather(handler(), handler())


asyncio.run(main(), debug=True)
