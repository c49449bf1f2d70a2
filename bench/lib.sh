# Shared pieces of the benchmark commands (bin/bench-kafka, bin/bench-ws, bin/bench-compare).
# Source it from the project root: cd "$(dirname "$0")/.." && . bench/lib.sh
# Everything cached goes under target/bench/; MVN_OPTS_EXTRA (e.g. -o) is passed to every Maven call.

BENCH_ROOT=$(pwd)
BENCH_STATE="$BENCH_ROOT/target/bench"
MVN="mvn -B -q -Dstyle.color=never ${MVN_OPTS_EXTRA:-}"
mkdir -p "$BENCH_STATE"

# Maven's -q still prints colour resets.
bench_nocolor() { sed -u 's/\x1b\[[0-9;]*m//g'; }

# bench_kafka_classpath KIND VERSION...: the classpath of Apache Kafka's perf tools (KIND tools) or of
# its broker (KIND broker), resolved from Maven Central through bench/kafka/pom.xml and cached in
# target/bench/kafka-KIND-VERSION.classpath. The first VERSION that resolves wins. Sets BENCH_CP and
# BENCH_KAFKA_VERSION; returns 1 if none resolves.
bench_kafka_classpath() {
  local kind=$1; shift
  local profile=tools v cpfile log
  [ "$kind" = broker ] && profile=broker
  BENCH_CP=; BENCH_KAFKA_VERSION=
  for v in "$@"; do
    cpfile="$BENCH_STATE/kafka-$kind-$v.classpath"
    if [ ! -s "$cpfile" ]; then
      echo "Resolving Apache Kafka $v ($kind) and its dependencies through Maven..."
      log="$BENCH_STATE/resolve-$kind-$v.log"
      if ! $MVN -f bench/kafka/pom.xml -P"$profile" dependency:build-classpath -Dkafka.version="$v" \
          -Dmdep.outputFile="$cpfile.tmp" >"$log" 2>&1; then
        echo "Kafka $kind $v did not resolve:"; tail -5 "$log"; rm -f "$cpfile.tmp"; continue
      fi
      mv "$cpfile.tmp" "$cpfile"
    fi
    BENCH_CP=$(cat "$cpfile"); BENCH_KAFKA_VERSION=$v
    return 0
  done
  return 1
}

# bench_build_tributary: the WAR, the Liberty runtime under target/liberty/wlp, and the test classpath
# (test classes, classes, every dependency) in target/bench/tributary-test.classpath, for running
# the benchmark mains of src/test/java (io.tributary.it.bench) with plain java. Sets BENCH_TEST_CP.
bench_build_tributary() {
  local cpfile="$BENCH_STATE/tributary-test.classpath"
  echo "Building the WAR and the test classes..."
  $MVN -pl src package -DskipTests dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile="$cpfile" 2>&1 | bench_nocolor
  [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "FAILED: the build failed" >&2; return 1; }
  if [ ! -x target/liberty/wlp/bin/server ]; then
    echo "Installing the Liberty runtime..."
    $MVN -pl src io.openliberty.tools:liberty-maven-plugin:install-server 2>&1 | bench_nocolor
    [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "FAILED: could not install Liberty" >&2; return 1; }
  fi
  BENCH_TEST_CP="$BENCH_ROOT/target/test-classes:$BENCH_ROOT/target/classes:$(cat "$cpfile")"
}

# The system properties the integration-test harness (LibertyServer) reads.
bench_harness_props() {
  echo "-Dtributary.it.wlp=$BENCH_ROOT/target/liberty/wlp -Dtributary.it.war=$BENCH_ROOT/target/tributary.war" \
       "-Dtributary.it.serverXml=$BENCH_ROOT/server.xml -Dtributary.it.configDir=$BENCH_ROOT/liberty"
}

# bench_start_tributary WORKDIR [KafkaBenchBroker options...]: a fresh broker in a real Liberty
# (io.tributary.it.bench.KafkaBenchBroker on the test harness: free ports, temp dir), its output
# prefixed with [tributary]. Needs bench_build_tributary first. BENCH_BROKER_PREFIX (e.g. "taskset -c 0")
# is put before the java command; Liberty inherits it. Sets TRIB_BOOTSTRAP, TRIB_HTTP_PORT and
# TRIB_PID (the Liberty JVM). Stop it with bench_stop_tributary (close of fd 7 ends the launcher).
TRIB_LAUNCHER=
bench_start_tributary() {
  local work=$1; shift
  rm -f "$work/tributary.bootstrap" "$work/tributary.info" "$work/tributary-stdin"
  mkfifo "$work/tributary-stdin"
  # shellcheck disable=SC2046
  ${BENCH_BROKER_PREFIX:-} java -Xmx256m $(bench_harness_props) -cp "$BENCH_TEST_CP" io.tributary.it.bench.KafkaBenchBroker \
    "$work/tributary.bootstrap" --info-file "$work/tributary.info" "$@" \
    <"$work/tributary-stdin" > >(sed -u 's/^/[tributary] /') 2>&1 &
  TRIB_LAUNCHER=$!
  exec 7>"$work/tributary-stdin"
  local _
  for _ in $(seq 1 600); do
    [ -s "$work/tributary.bootstrap" ] && break
    if ! kill -0 "$TRIB_LAUNCHER" 2>/dev/null; then
      wait "$TRIB_LAUNCHER" || true; TRIB_LAUNCHER=; exec 7>&-
      echo "FAILED: the Tributary broker did not start" >&2; return 1
    fi
    sleep 0.5
  done
  [ -s "$work/tributary.bootstrap" ] || { echo "FAILED: Tributary was not ready within 300 s" >&2; return 1; }
  TRIB_BOOTSTRAP=$(sed -n 's/^bootstrap=//p' "$work/tributary.info")
  TRIB_HTTP_PORT=$(sed -n 's/^http.port=//p' "$work/tributary.info")
  TRIB_PID=$(sed -n 's/^pid=//p' "$work/tributary.info")
}

bench_stop_tributary() {
  if [ -n "$TRIB_LAUNCHER" ]; then
    exec 7>&-   # end of input: KafkaBenchBroker stops Liberty and exits
    wait "$TRIB_LAUNCHER" 2>/dev/null || true
    TRIB_LAUNCHER=
  fi
}

# bench_free_port: a TCP port on 127.0.0.1 nobody listens on (no connection accepted).
bench_free_port() {
  local p _
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 30000))
    if ! (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}

# bench_cpu_ticks PID: user + system CPU time of the process so far, in clock ticks (getconf CLK_TCK).
# The command name in /proc/PID/stat may hold spaces; fields are counted after its closing parenthesis.
bench_cpu_ticks() {
  sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# bench_rss_mb PID: resident set size in MiB.
bench_rss_mb() {
  awk '/^VmRSS:/ { printf "%.1f\n", $2 / 1024 }' "/proc/$1/status"
}

# bench_loadavg: the 1-, 5- and 15-minute load averages.
bench_loadavg() {
  cut -d' ' -f1-3 /proc/loadavg
}
