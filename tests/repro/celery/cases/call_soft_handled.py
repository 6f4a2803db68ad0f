from tasks import build_report_safely

build_report_safely.delay(3)
print("sent")
