package io.edgesched.examples.lab;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * The latency benchmark's client, run by {@link LabBench} in the client namespace. Commands on stdin:
 * {@code RUN label host port n [record]} sends n sequential requests, each on a new connection, and records
 * the response times under the label when {@code record} is 1 (0 = warm-up); prints {@code DONE}.
 * {@code ROUND} prints {@code RSTAT label p50_us} per label recorded since the previous ROUND, then {@code END}.
 * {@code REPORT} prints {@code STAT label count p50_us p90_us p99_us mean_us} per label, then {@code END}.
 */
public final class BenchClient {
    private BenchClient() {
    }

    public static void main(String[] args) throws IOException {
        Map<String, Histogram> histograms = new LinkedHashMap<>();
        Map<String, Histogram> round = new LinkedHashMap<>();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        System.out.println("READY");
        System.out.flush();
        for (String line; (line = in.readLine()) != null; ) {
            String[] f = line.strip().split(" ");
            if (f[0].equals("RUN")) {
                Histogram run = new Histogram(10_000_000_000L, 3);
                long failures = run(f[2], Integer.parseInt(f[3]), Integer.parseInt(f[4]), run);
                if (f.length > 5 && f[5].equals("1")) {
                    histograms.computeIfAbsent(f[1], k -> new Histogram(10_000_000_000L, 3)).add(run);
                    round.computeIfAbsent(f[1], k -> new Histogram(10_000_000_000L, 3)).add(run);
                }
                System.out.println(failures == 0 ? "DONE" : "DONE failures=" + failures);
            } else if (f[0].equals("ROUND")) {
                round.forEach((label, h) -> System.out.println(String.format(Locale.ROOT, "RSTAT %s %.1f", label,
                        h.getValueAtPercentile(50) / 1000.0)));
                round.clear();
                System.out.println("END");
            } else if (f[0].equals("REPORT")) {
                histograms.forEach((label, h) -> System.out.println(String.format(Locale.ROOT,
                        "STAT %s %d %.1f %.1f %.1f %.1f", label, h.getTotalCount(), h.getValueAtPercentile(50) / 1000.0,
                        h.getValueAtPercentile(90) / 1000.0, h.getValueAtPercentile(99) / 1000.0, h.getMean() / 1000.0)));
                System.out.println("END");
            }
            System.out.flush();
        }
    }

    private static long run(String host, int port, int n, Histogram histogram) {
        byte[] request = ("GET " + LabService.PATH + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        InetSocketAddress target = new InetSocketAddress(host, port);
        byte[] buffer = new byte[4096];
        long failures = 0;
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            try (Socket socket = new Socket()) {
                socket.setTcpNoDelay(true);
                socket.setSoTimeout(2000);
                socket.connect(target, 2000);
                OutputStream out = socket.getOutputStream();
                out.write(request);
                InputStream responseStream = socket.getInputStream();
                int total = 0;
                for (int r; (r = responseStream.read(buffer)) > 0; ) {
                    total += r;
                }
                if (total < LabService.FILE_BYTES) {
                    failures++;
                    continue;
                }
            } catch (IOException e) {
                failures++;
                continue;
            }
            histogram.recordValue(System.nanoTime() - t0);
        }
        return failures;
    }
}
