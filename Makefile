# mcgen: `make slides` builds out/slides.pdf, `make sheets` the demo exercise sheets, `make test` runs the tests.
# Each sets up what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEX_PACKAGES := texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended latexmk
# The deck follows the course: the lecture's examples, the model gradients, the lecture's identity
# table, then the Matrix Cookbook; anything else in problems/ comes last.
ORDER := lecture model table cookbook
ORDERED := $(foreach group,$(ORDER),$(sort $(wildcard problems/$(group)-*.toml)))
PROBLEMS := $(ORDERED) $(filter-out $(ORDERED),$(sort $(wildcard problems/*.toml)))
# Problem files that are rows of an identity table (a top-level `table = "…"` key).
TABLE_PROBLEMS := $(if $(PROBLEMS),$(shell grep -l '^table *=' $(PROBLEMS)))

comma := ,
.PHONY: slides handout sheets test tex test-system chromium mathjax katex venv clean picture sheet-picture \
	export-picture serve-pictures

slides: venv tex
	$(BIN)/mcgen slides $(PROBLEMS) -o out/
ifneq ($(TABLE_PROBLEMS),)
	$(BIN)/mcgen table $(TABLE_PROBLEMS) -o out/
endif

# The same deck for print: no overlays, one page per frame (out/handout.pdf).
handout: venv tex
	$(BIN)/mcgen slides $(PROBLEMS) -o out/ --handout

# Demo exercise sheets: SHEET_VARIANTS variants of every problems/sheets/*.toml, a fixed seed.
SHEET_PROBLEMS := $(sort $(wildcard problems/sheets/*.toml))
SHEET_VARIANTS ?= 6
SHEET_SEED ?= 2024
sheets: venv tex
	$(BIN)/mcgen sheet $(SHEET_PROBLEMS) --variants $(SHEET_VARIANTS) --seed $(SHEET_SEED) -o out/

# The README's picture of a sheet: page SHEET_PAGE of the real out/sheet.pdf.
SHEET_PAGE ?= 1
sheet-picture: sheets
	pdftoppm -png -r 80 -f $(SHEET_PAGE) -l $(SHEET_PAGE) -singlefile out/sheet.pdf docs/sheet

# The README's picture of an exported question: EXPORT_QUESTION of make sheets' variants, exported to Moodle
# XML, shown as a page (generator/export/preview.py) that MathJax typesets in headless Chromium.
EXPORT_QUESTION ?= activation-3
export-picture: venv chromium mathjax
	$(BIN)/mcgen export $(SHEET_PROBLEMS) --variants $(SHEET_VARIANTS) --seed $(SHEET_SEED) --format moodle -o out/
	$(BIN)/python -c 'import sys; from generator.export.preview import preview_html; \
		sys.stdout.write(preview_html(open("out/moodle.xml", "rb").read(), ["$(EXPORT_QUESTION)"]))' > out/question.html
	chromium --headless --no-sandbox --disable-gpu --allow-file-access-from-files --hide-scrollbars \
		--window-size=900,400 --virtual-time-budget=15000 --screenshot=docs/export.png "file://$(CURDIR)/out/question.html"

# The README's picture: one page of the real deck (SLIDE_PAGE), rendered by poppler's pdftoppm.
SLIDE_PAGE ?= 44
picture: slides
	pdftoppm -png -r 80 -f $(SLIDE_PAGE) -l $(SLIDE_PAGE) -singlefile out/slides.pdf docs/slide

test: venv test-system
	$(BIN)/python -m pytest

# The README's pictures of `mcgen serve`: the browser test's Chromium saves a student page and the dashboard.
serve-pictures: venv chromium katex
	MCGEN_SCREENSHOTS=docs $(BIN)/python -m pytest -q tests/test_serve_browser.py

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# System packages from Debian: installed when missing if we are root or may sudo, otherwise we stop
# and print the command to run. $(call apt,CHECK=PACKAGE …): each CHECK is a command or an absolute
# path (a glob may stand for a version); every PACKAGE whose CHECK is missing is installed, in one go.
define apt
@missing=; for pair in $(1); do c=$${pair%%=*}; set -- $$c; \
  command -v "$$1" >/dev/null 2>&1 || [ -e "$$1" ] || missing="$$missing $${pair#*=}"; done; \
[ -z "$$missing" ] && exit 0; \
missing=$$(printf '%s\n' $$missing | tr , ' ' | xargs -n1 | sort -u | xargs); \
if [ "$$(id -u)" = 0 ]; then SUDO=; \
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO=sudo; \
else echo "Missing system packages. Install them with:"; \
     echo "  sudo apt-get install -y --no-install-recommends $$missing"; exit 1; fi; \
echo "Installing $$missing…"; \
$$SUDO apt-get update -qq && \
DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing
endef

# TeX Live compiles every deck, sheet, key and report.
TEX := latexmk=$(subst $(eval) ,$(comma),$(TEX_PACKAGES)) pdflatex=texlive-latex-recommended
# The tests also run Maxima (the STACK export's teacher's answers, with the share packages STACK loads),
# headless Chromium (exported questions typeset by MathJax; the student page of mcgen serve) and a real
# PostgreSQL server (tests/test_serve_postgres.py starts its own).
MAXIMA_SHARE := $(or $(wildcard /usr/share/maxima/*/share/linearalgebra/linearalgebra.mac),/usr/share/maxima/share/linearalgebra.mac)
TEST_SYSTEM := $(TEX) pdftotext=poppler-utils maxima=maxima $(MAXIMA_SHARE)=maxima-share chromium=chromium \
	/usr/share/javascript/mathjax/MathJax.js=libjs-mathjax /usr/share/javascript/katex/katex.min.js=libjs-katex \
	/usr/lib/postgresql/*/bin/initdb=postgresql

tex:
	$(call apt,$(TEX))

test-system:
	$(call apt,$(TEST_SYSTEM))

chromium:
	$(call apt,chromium=chromium)

mathjax:
	$(call apt,/usr/share/javascript/mathjax/MathJax.js=libjs-mathjax)

# The web app's maths (mcgen serve) is typeset by Debian's KaTeX, served by the app from /usr/share/javascript/katex.
katex:
	$(call apt,/usr/share/javascript/katex/katex.min.js=libjs-katex)

clean:
	rm -rf out/* $(VENV) .pytest_cache
	touch out/.gitkeep
