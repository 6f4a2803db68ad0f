import asyncio


async def call_backend():
    await asyncio.sleep(5)


async def main():
    await asyncio.wait_for(call_backend(), timeout=0.05)


asyncio.run(main())
