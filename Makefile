# Two commands matter: `make demo` (the monthly audit on the bundled sample) and `make test`.
# Both create/refresh the venv and install what they need, system fonts included when root.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
KERNEL  := xfaudit
PERIOD  ?= 2026-10
SAMPLE  := tests/files/sample_2026-10.xlsx
# The fictional 云溪县信访局 of the sample (issuer, 机关代字, 抄送): letters need a bureau.
BUREAU  := tests/files/sample_bureau.toml
# A provincial month of three fictional counties (问题属地) and two of their bureaus: the
# per-county workbooks and letters (xfaudit check --by-county; tests/files/make_province.py).
PROVINCE := tests/files/sample_province_2026-10.csv
COUNTIES := tests/files/sample_counties
# Every dependency, transitive ones included, pinned (`make lock` regenerates it).
LOCK    := constraints.txt

.PHONY: demo test setup system-fonts system-test-tools system-java bench clean lock wheelhouse package-data

demo: setup
	$(BIN)/xfaudit monthly $(SAMPLE) --period $(PERIOD) --out reports --config $(BUREAU)
	test -d reports/province/县区配置 || (mkdir -p reports/province && cp -r $(COUNTIES) reports/province/县区配置)
	$(BIN)/xfaudit check $(PROVINCE) --as-of 2026-10-31 --by-county \
	    --counties reports/province/县区配置 --out reports/province

test: setup system-test-tools system-java
	$(BIN)/python -m pytest

setup: system-fonts $(STAMP)

$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c $(LOCK) -e '.[test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (xfaudit)" >/dev/null
	touch $(STAMP)

# Chinese glyphs for charts and letter previews. Only root can apt-get; others see a hint.
system-fonts:
	@if fc-list 2>/dev/null | grep -qi "Noto Sans CJK\|Noto Serif CJK\|WenQuanYi"; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "安装中文字体 fonts-noto-cjk …"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk fontconfig >/dev/null) \
	  && rm -f $$HOME/.cache/matplotlib/fontlist-*.json; \
	else echo "提示：未找到中文字体，请安装 fonts-noto-cjk（图表中的中文可能无法显示）"; fi

# LibreOffice and poppler let the tests convert letters to PDF and read them back; headless
# Chromium renders report.html and prints it on A4 (tests/test_report_render.py).
system-test-tools:
	@if command -v soffice >/dev/null && command -v pdftotext >/dev/null \
	    && command -v chromium >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "安装 LibreOffice、poppler 和 Chromium（测试用：公文和网页报告转为 PDF）…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    libreoffice-writer-nogui libreoffice-calc-nogui poppler-utils chromium >/dev/null; \
	else echo "提示：未安装 LibreOffice 或 Chromium，相关测试将跳过"; fi

# Java 17 runs Spark (--engine spark, tests/test_spark.py; pyspark comes with '.[test]').
system-java:
	@if command -v java >/dev/null || [ -n "$${JAVA_HOME:-}" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "安装 Java 17（测试 --engine spark 用）…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    openjdk-17-jre-headless >/dev/null; \
	else echo "提示：未安装 Java 17，Spark 相关测试将跳过"; fi

# Re-pin every dependency at the versions installed in .venv (after changing pyproject.toml
# and checking the tests pass with the new versions).
lock: setup
	$(BIN)/python .ci/deps.py lock

# Wheels of xfaudit and every pinned dependency for Linux x86-64 and Windows x86-64 (CPython
# 3.11), for PCs without internet: see the README, "Offline installation".
wheelhouse: setup
	$(BIN)/python .ci/deps.py wheelhouse wheelhouse

# Copy the top-level notebooks/ and expectations/ into the package (xfaudit/data/), after
# editing a notebook; a test fails while they differ.
package-data: setup
	$(BIN)/python -m xfaudit.resources

bench: setup
	$(BIN)/python benchmarks/bench_audit.py
	$(BIN)/python benchmarks/bench_monthly.py

clean:
	rm -rf $(VENV) build *.egg-info wheelhouse
