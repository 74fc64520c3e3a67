# Sourced by the bench scripts: cpu_description prints the CPU model and the instruction-set
# features castor's speed depends on (BLAKE3 has AVX-512 and AVX2 code, SHA-256 uses SHA-NI),
# so that a figure can be read against the machine that produced it: machines of the same kind
# have differed in exactly these (bench/README.md).
cpu_description() {
  local model flags have=()
  model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)
  flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2-) "
  for f in avx512f avx2 sha_ni; do
    [[ "$flags" == *" $f "* ]] && have+=("$f")
  done
  local mhz
  mhz=$(grep -m1 'cpu MHz' /proc/cpuinfo | cut -d: -f2 | xargs | cut -d. -f1)
  echo "$model, ${mhz:-?} MHz, ${have[*]:-no avx2/avx512/sha_ni}"
}
