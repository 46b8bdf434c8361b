package dev.ferry.testkit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks an integration test that drives real programs. When one is missing from PATH the test is skipped with a
 * message naming it, except under {@code CI=true}, where it fails: CI never skips silently.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(ProgramsCondition.class)
public @interface RequiresPrograms {
    /** Program names looked up on PATH, e.g. {@code nix-store}. */
    String[] value();
}
