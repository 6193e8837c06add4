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

.PHONY: slides sheets test tex venv clean picture sheet-picture

slides: venv tex
	$(BIN)/mcgen slides $(PROBLEMS) -o out/
ifneq ($(TABLE_PROBLEMS),)
	$(BIN)/mcgen table $(TABLE_PROBLEMS) -o out/
endif

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

# The README's picture: one page of the real deck (SLIDE_PAGE), rendered by poppler's pdftoppm.
SLIDE_PAGE ?= 42
picture: slides
	pdftoppm -png -r 80 -f $(SLIDE_PAGE) -l $(SLIDE_PAGE) -singlefile out/slides.pdf docs/slide

test: venv tex
	$(BIN)/python -m pytest

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# TeX Live from Debian's packages: installed when missing if we are root or may sudo,
# otherwise we stop and print the command to run.
tex:
	@if command -v latexmk >/dev/null 2>&1 && command -v pdflatex >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO=sudo; \
	else echo "TeX Live is missing. Install it with:"; \
	     echo "  sudo apt-get install -y --no-install-recommends $(TEX_PACKAGES)"; exit 1; fi; \
	echo "Installing TeX Live ($(TEX_PACKAGES))…"; \
	$$SUDO apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(TEX_PACKAGES)

clean:
	rm -rf out/* $(VENV) .pytest_cache
	touch out/.gitkeep
