#!/bin/sh
# tests/e2e/ml_examples.sh - runs the machine-learning examples as a user
# would and checks what they print:
#   1. song_year on ../shared/data/millionsong: the model beats the baseline
#      and the chosen grid point is no worse than plain least squares;
#   2. ctr on the two click-log samples (runs, metrics in range) and on a
#      synthetic set from bench/gen_ctr (AUC > 0.75, log loss below the
#      baseline's);
#   3. adult_income on ../shared/data/adult: AUC, accuracy and log loss equal
#      scikit-learn's on the same features and penalty within 1e-3
#      (tests/ml/sklearn_adult.py), and the saved model loads.
# Parts whose data or scikit-learn is absent are skipped with the reason.
# usage: tests/e2e/ml_examples.sh BIN_DIR   (run from the repository root)
set -eu
bin=${1:?usage: ml_examples.sh BIN_DIR}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LC_ALL=C
data=../shared/data

# field NAME FILE: the number after "NAME " (or "NAME: ") in FILE's matching line.
num() { sed -n "s/.*$1:* \([-0-9.]*\).*/\1/p" "$2" | head -1; }
# check CONDITION MESSAGE: CONDITION is an awk expression.
check() { awk "BEGIN { exit !($1) }" || { echo "FAIL: $2 ($1)"; exit 1; }; }

# 1. Song year.
if [ -f $data/millionsong/millionsong.txt ]; then
    "$bin/song_year" --master 'local[2]' $data/millionsong/millionsong.txt > "$tmp/song"
    base=$(num 'baseline (mean year) test RMSE' "$tmp/song")
    ls=$(num 'least squares test RMSE' "$tmp/song")
    best=$(sed -n 's/^best model .* test RMSE: \([0-9.]*\)$/\1/p' "$tmp/song")
    check "$ls < 0.8 * $base && $best < $base && $best <= $ls * 1.01" \
        "song_year: baseline $base, least squares $ls, best $best"
    echo "ok: song_year RMSE baseline $base, least squares $ls, best grid point $best"
else
    echo "skip: song_year: $data/millionsong is absent (a clone without ../shared)"
fi

# 2. Click-through rate.
metrics_in_range() {
    auc=$(sed -n 's/.*test AUC: \([0-9.]*\), log loss: \([0-9.]*\)$/\1/p' "$1")
    ll=$(sed -n 's/.*test AUC: \([0-9.]*\), log loss: \([0-9.]*\)$/\2/p' "$1")
    check "$auc >= 0 && $auc <= 1 && $ll > 0" "ctr $2: AUC '$auc', log loss '$ll'"
}
for f in criteo avazu; do
    if [ -f $data/ctr-samples/${f}_sample.txt ]; then
        "$bin/ctr" --bits 12 $data/ctr-samples/${f}_sample.txt > "$tmp/$f"
        metrics_in_range "$tmp/$f" "$f"
        echo "ok: ctr on the $f sample: AUC $auc, log loss $ll"
    else
        echo "skip: ctr $f: $data/ctr-samples is absent (a clone without ../shared)"
    fi
done
"$bin/gen_ctr" 60000 "$tmp/ctr-train.txt" 1
"$bin/gen_ctr" 20000 "$tmp/ctr-test.txt" 2
"$bin/ctr" --master 'local[2]' --bits 14 --folds 1 "$tmp/ctr-train.txt" "$tmp/ctr-test.txt" > "$tmp/syn"
metrics_in_range "$tmp/syn" synthetic
base=$(num 'baseline (click rate) test log loss' "$tmp/syn")
check "$auc > 0.75 && $ll < $base" "ctr synthetic: AUC $auc, log loss $ll, baseline $base"
echo "ok: ctr on 60000 synthetic impressions: AUC $auc, log loss $ll (baseline $base)"

# 3. Adult income, against scikit-learn.
if [ ! -f $data/adult/adult.data ]; then
    echo "skip: adult_income: $data/adult is absent (a clone without ../shared)"
    exit 0
fi
"$bin/adult_income" --reg 1e-4 $data/adult/adult.data $data/adult/adult.test "$tmp/model" > "$tmp/adult"
test -f "$tmp/model/metadata.json" || { echo "FAIL: adult_income saved no model"; exit 1; }
auc=$(sed -n 's/.*AUC \([0-9.]*\),.*/\1/p' "$tmp/adult")
acc=$(sed -n 's/.*, accuracy \([0-9.]*\)$/\1/p' "$tmp/adult")
ll=$(sed -n 's/.*log loss \([0-9.]*\)$/\1/p' "$tmp/adult")
if ! /usr/bin/python3 -c 'import sklearn' 2>/dev/null; then
    echo "skip: adult_income against scikit-learn: /usr/bin/python3 has no sklearn (python3-sklearn)"
    exit 0
fi
ref=$(/usr/bin/python3 tests/ml/sklearn_adult.py $data/adult/adult.data $data/adult/adult.test 1e-4)
rauc=$(echo "$ref" | sed 's/.*auc=\([0-9.]*\).*/\1/')
racc=$(echo "$ref" | sed 's/.*accuracy=\([0-9.]*\).*/\1/')
rll=$(echo "$ref" | sed 's/.*logloss=\([0-9.]*\).*/\1/')
check "($auc - $rauc)^2 < 1e-6 && ($acc - $racc)^2 < 1e-6 && ($ll - $rll)^2 < 1e-6" \
    "adult_income: kiln AUC $auc accuracy $acc log loss $ll, scikit-learn $ref"
echo "ok: adult_income AUC $auc, accuracy $acc, log loss $ll; scikit-learn $ref"
