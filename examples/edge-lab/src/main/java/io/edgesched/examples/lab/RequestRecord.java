package io.edgesched.examples.lab;

import java.util.Locale;

/**
 * One request of the end device.
 *
 * @param tSeconds    scenario time (0..300 whatever the time scale) when the request started
 * @param method      which method's run it belongs to
 * @param entryNode   the node the device sent it to
 * @param servingNode the node whose service answered ("-" when none did)
 * @param responseUs  microseconds from connect to the last byte of the response
 * @param status      HTTP status, or what went wrong
 */
public record RequestRecord(double tSeconds, Method method, String entryNode, String servingNode, long responseUs,
                            String status) {
    static final String CSV_HEADER = "t_seconds,method,entry_node,serving_node,response_us,status";

    public boolean ok() {
        return "200".equals(status);
    }

    String csv() {
        return String.format(Locale.ROOT, "%.3f,%s,%s,%s,%d,%s", tSeconds, method.label(), entryNode, servingNode,
                responseUs, status);
    }

    static RequestRecord parseCsv(String line) {
        String[] f = line.split(",");
        return new RequestRecord(Double.parseDouble(f[0]), Method.parse(f[1]), f[2], f[3], Long.parseLong(f[4]),
                f.length > 5 ? f[5] : "200");
    }
}
