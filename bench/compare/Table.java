import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The table of bin/bench-compare: reads its measurements, one per line
 * {@code BROKER<TAB>WORKLOAD<TAB>METRIC<TAB>RUN<TAB>VALUE} (BROKER {@code kafka} or {@code tributary}),
 * and prints one Markdown table with a row per workload and metric, in the order first measured:
 * each broker's median over the runs with the min and max, and the ratio of the medians
 * Tributary / Kafka. A workload only one broker ran has an empty cell for the other. Rows of the
 * workload {@code machine} (e.g. the load average before each run) come last, without a ratio.
 *
 * <p>Usage: {@code java bench/compare/Table.java MEASUREMENTS.tsv}
 */
public final class Table {

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("Usage: Table MEASUREMENTS.tsv");
            System.exit(2);
        }
        // (workload, metric) -> broker -> values, in the order first seen.
        Map<List<String>, Map<String, List<Double>>> rows = new LinkedHashMap<>();
        for (String line : Files.readAllLines(Path.of(args[0]))) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split("\t");
            if (f.length != 5) {
                throw new IllegalArgumentException("Not BROKER, WORKLOAD, METRIC, RUN, VALUE: " + line);
            }
            double value;
            try {
                value = Double.parseDouble(f[4]);
            } catch (NumberFormatException e) {
                continue; // a measurement the tool did not print; the cell shows the runs that did
            }
            rows.computeIfAbsent(List.of(f[1], f[2]), k -> new LinkedHashMap<>())
                    .computeIfAbsent(f[0], k -> new ArrayList<>()).add(value);
        }
        System.out.println("| Workload | Metric | Kafka median (min–max) | Tributary median (min–max) | Tributary / Kafka |");
        System.out.println("| --- | --- | ---: | ---: | ---: |");
        String lastWorkload = null;
        List<Map.Entry<List<String>, Map<String, List<Double>>>> ordered = new ArrayList<>(rows.entrySet());
        ordered.sort(java.util.Comparator.comparing(e -> e.getKey().get(0).equals("machine")));
        for (var row : ordered) {
            String workload = row.getKey().get(0);
            List<Double> kafka = row.getValue().getOrDefault("kafka", List.of());
            List<Double> tributary = row.getValue().getOrDefault("tributary", List.of());
            String ratio = kafka.isEmpty() || tributary.isEmpty() || median(kafka) == 0 || workload.equals("machine") ? ""
                    : String.format(Locale.ROOT, "%.2f", median(tributary) / median(kafka));
            System.out.printf("| %s | %s | %s | %s | %s |%n", workload.equals(lastWorkload) ? "" : workload,
                    row.getKey().get(1), cell(kafka), cell(tributary), ratio);
            lastWorkload = workload;
        }
    }

    private static String cell(List<Double> values) {
        if (values.isEmpty()) {
            return "";
        }
        List<Double> sorted = values.stream().sorted().toList();
        if (sorted.size() == 1) {
            return number(sorted.get(0));
        }
        return number(median(sorted)) + " (" + number(sorted.get(0)) + "–" + number(sorted.get(sorted.size() - 1)) + ")";
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static String number(double v) {
        double a = Math.abs(v);
        if (a >= 1000) {
            return String.format(Locale.ROOT, "%,.0f", v);
        } else if (a >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
