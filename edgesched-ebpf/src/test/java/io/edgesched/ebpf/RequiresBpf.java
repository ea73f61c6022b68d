package io.edgesched.ebpf;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test (class or method) that needs the kernel's BPF (root, or CAP_BPF + CAP_NET_ADMIN). Without those
 * privileges the test is skipped, except when the environment variable CI is "true": there it fails, so a CI
 * that silently lost its privileges cannot pass.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag("root")
@ExtendWith(RequiresBpfExtension.class)
public @interface RequiresBpf {
}
