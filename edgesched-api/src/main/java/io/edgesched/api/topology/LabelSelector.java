package io.edgesched.api.topology;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/** Equality-based label selector: a node matches when it has every listed label with the listed value. */
public record LabelSelector(SortedMap<String, String> matchLabels) {
    public static final LabelSelector ALL = new LabelSelector(new TreeMap<>());

    public LabelSelector {
        matchLabels = Collections.unmodifiableSortedMap(new TreeMap<>(matchLabels));
    }

    public static LabelSelector of(Map<String, String> labels) {
        return new LabelSelector(new TreeMap<>(labels));
    }

    public static LabelSelector of(String key, String value) {
        return of(Map.of(key, value));
    }

    public boolean matches(Map<String, String> labels) {
        for (Map.Entry<String, String> e : matchLabels.entrySet()) {
            if (!e.getValue().equals(labels.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return matchLabels.isEmpty() ? "<all>" : matchLabels.toString();
    }
}
