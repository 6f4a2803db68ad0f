import asyncio


async def send_email(to):
    await asyncio.sleep(0)
    print("sent to", to)


async def main():
    send_email("ann@example.com")
    await asyncio.sleep(0.01)


asyncio.run(main())
