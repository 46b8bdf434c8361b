package dev.ferry.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

/** Implements {@link RequiresPrograms}. */
final class ProgramsCondition implements BeforeAllCallback, BeforeEachCallback {

    @Override
    public void beforeAll(ExtensionContext context) {
        check(AnnotationSupport.findAnnotation(context.getRequiredTestClass(), RequiresPrograms.class));
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        check(AnnotationSupport.findAnnotation(context.getRequiredTestMethod(), RequiresPrograms.class));
    }

    private static void check(Optional<RequiresPrograms> annotation) {
        if (annotation.isEmpty()) {
            return;
        }
        List<String> missing = new ArrayList<>();
        for (String program : annotation.get().value()) {
            if (TestEnv.findProgram(program).isEmpty()) {
                missing.add(program);
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        String message = "missing program(s) on PATH: " + String.join(", ", missing)
                + " (run the tests with scripts/test, which installs them)";
        if (TestEnv.isCi()) {
            Assertions.fail("CI=true and " + message);
        }
        Assumptions.abort(message);
    }
}
