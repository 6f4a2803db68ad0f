import asyncio
import gc


async def refresh_cache():
    raise ConnectionError("cache backend unreachable")


async def main():
    asyncio.create_task(refresh_cache())
    await asyncio.sleep(0.01)
    gc.collect()


asyncio.run(main())
