# Shared by each function's Makefile (SAM BuildMethod: makefile). SAM runs make with the absolute
# path of the function's Makefile, so the repository root is found from it even when SAM builds in a
# scratch copy: Maven builds the module with its siblings (no "Non-resolvable parent POM", aws-sam-cli
# #2289) and the shaded jar goes where the java21 runtime looks for jars (lib/).
ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
MVN ?= mvn

define package_function
	@test -n "$(ARTIFACTS_DIR)" || { echo "ARTIFACTS_DIR is not set (run through 'sam build')" >&2; exit 1; }
	cd "$(ROOT)" && $(MVN) -B -q package -DskipTests -pl functions/$(MODULE) -am
	mkdir -p "$(ARTIFACTS_DIR)/lib"
	cp "$(ROOT)"/functions/$(MODULE)/target/$(MODULE)-*-lambda.jar "$(ARTIFACTS_DIR)/lib/$(MODULE)-lambda.jar"
endef
