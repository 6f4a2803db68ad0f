from tasks import build_report

build_report.delay(3)
print("sent")
