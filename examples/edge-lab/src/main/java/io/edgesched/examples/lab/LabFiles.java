package io.edgesched.examples.lab;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Where the lab finds its native helper and how it starts child JVMs (the service, the device). */
final class LabFiles {
    private LabFiles() {
    }

    /** examples/edge-lab/target, found from where this class was loaded (the jar or target/classes). */
    static Path targetDirectory() {
        try {
            Path location = Path.of(LabFiles.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return location.getParent();
        } catch (URISyntaxException e) {
            throw new LabException("cannot locate the examples build directory", e);
        }
    }

    static Path delaySwitchBinary() {
        String override = System.getenv("EDGESCHED_LAB_DELAYSWITCH");
        Path binary = override != null ? Path.of(override) : targetDirectory().resolve("native/esl-delayswitch");
        if (!Files.isExecutable(binary)) {
            throw new LabException("the lab's delay switch is not built (" + binary + "); run ./mvnw -B package -DskipTests"
                    + " (it needs gcc: apt-get install -y gcc libc6-dev)");
        }
        return binary;
    }

    /** A command line that starts {@code mainClass} in a fresh JVM with this JVM's classpath. */
    static List<String> javaCommand(Class<?> mainClass, List<String> jvmOptions, List<String> args) {
        String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
        List<String> command = new ArrayList<>();
        command.add(java);
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass.getName());
        command.addAll(args);
        return command;
    }
}
