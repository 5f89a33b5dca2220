#!/bin/sh
. "$TEST_SRCDIR/cli/lib.sh"
test_done
