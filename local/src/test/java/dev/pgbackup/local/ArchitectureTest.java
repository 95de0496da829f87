package dev.pgbackup.local;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.simpleNameEndingWith;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noFields;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The dependency rules between the modules (docs/architecture-rules.md), checked over the production classes of
 * every module this one runs: common, backup, list, restore and the local run. The rules inside common are
 * common's own CommonArchitectureTest.
 */
class ArchitectureTest {
    private static final String COMPOSITION_ROOT = "dev.pgbackup.common.Wiring";

    /**
     * Ours, and the Lambda runtime's interfaces that say which of ours are entry points. Test classes are left out
     * wherever they are: in target/test-classes (mvn test) and in common's tests jar, which is what the reactor hands
     * this module once the modules are packaged (mvn verify).
     */
    private static final JavaClasses PRODUCTION = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .withImportOption(location -> !location.contains("-tests.jar"))
            .importPackages("dev.pgbackup", "com.amazonaws.services.lambda.runtime");

    @Test
    void onlyHandlersAndTheLocalRunSeeTheCompositionRoot() {
        noClasses().that().resideInAPackage("dev.pgbackup..")
                .and().haveSimpleNameNotEndingWith("Handler")
                .and().resideOutsideOfPackages("dev.pgbackup.local..", "dev.pgbackup.common")
                .should().dependOnClassesThat().haveFullyQualifiedName(COMPOSITION_ROOT)
                .because("a handler wires its service from the stack's parts; a service that takes the whole "
                        + "Wiring hides what it uses and cannot be built in a test without all of it")
                .check(PRODUCTION);
    }

    @Test
    void noClassOutsideCommonKeepsTheCompositionRoot() {
        noFields().that().areDeclaredInClassesThat().resideOutsideOfPackage("dev.pgbackup.common..")
                .should().haveRawType(COMPOSITION_ROOT)
                .because("a handler unpacks Wiring once in its constructor and keeps the collaborators it uses; a "
                        + "Wiring field hides what it uses behind a service locator")
                .check(PRODUCTION);
    }

    @Test
    void theModulesFormNoCycle() {
        slices().matching("dev.pgbackup.(*)..").should().beFreeOfCycles().check(PRODUCTION);
    }

    @Test
    void theFunctionsDoNotKnowTheLocalRun() {
        noClasses().that().resideInAnyPackage("dev.pgbackup.common..", "dev.pgbackup.backup..",
                "dev.pgbackup.list..", "dev.pgbackup.restore..")
                .should().dependOnClassesThat().resideInAPackage("dev.pgbackup.local..")
                .because("the local run hosts the functions; what is deployed must not need it")
                .check(PRODUCTION);
    }

    @Test
    void listingAndRestoringDoNotDependOnTheOtherFunctions() {
        noClasses().that().resideInAPackage("dev.pgbackup.list..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.pgbackup.backup..", "dev.pgbackup.restore..")
                .check(PRODUCTION);
        noClasses().that().resideInAPackage("dev.pgbackup.restore..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.pgbackup.backup..", "dev.pgbackup.list..")
                .because("backup may start a scheduled refresh on the restore side, never the reverse")
                .check(PRODUCTION);
    }

    @Test
    void theRestoreFeaturesDependOnTheRestoreCoreNeverTheReverse() {
        noClasses().that().resideInAPackage("dev.pgbackup.restore")
                .should().dependOnClassesThat().resideInAnyPackage("dev.pgbackup.restore.api..",
                        "dev.pgbackup.restore.drill..")
                .because("the worker and the core are what the API and the drill share")
                .check(PRODUCTION);
        noClasses().that().resideInAPackage("dev.pgbackup.restore.api..")
                .should().dependOnClassesThat().resideInAPackage("dev.pgbackup.restore.drill..")
                .check(PRODUCTION);
        noClasses().that().resideInAPackage("dev.pgbackup.restore.drill..")
                .should().dependOnClassesThat().resideInAPackage("dev.pgbackup.restore.api..")
                .because("one feature is changed without reading the other")
                .check(PRODUCTION);
    }

    @Test
    void theLambdaEntryPointsAreTheHandlers() {
        classes().that().resideInAnyPackage("dev.pgbackup.backup..", "dev.pgbackup.list..", "dev.pgbackup.restore..")
                .and().implement(RequestHandler.class)
                .should().haveSimpleNameEndingWith("Handler")
                .check(PRODUCTION);
        classes().that().resideInAnyPackage("dev.pgbackup.backup..", "dev.pgbackup.list..", "dev.pgbackup.restore..")
                .and(simpleNameEndingWith("Handler"))
                .should().implement(RequestHandler.class)
                .check(PRODUCTION);
    }

    @Test
    void onlyHandlersAndTheHttpEdgeSpeakHttp() {
        noClasses().that().resideInAPackage("dev.pgbackup..")
                .and().haveSimpleNameNotEndingWith("Handler")
                .and().haveSimpleNameNotEndingWith("Body")
                .and().resideOutsideOfPackages("dev.pgbackup.common.http..", "dev.pgbackup.local..")
                .and().doNotHaveFullyQualifiedName("dev.pgbackup.common.Priming")
                .should().dependOnClassesThat().haveNameMatching(
                        "com\\.amazonaws\\.services\\.lambda\\.runtime\\.events\\.APIGatewayV2HTTP.*")
                .because("services return results and typed failures; a handler (or the request body it reads) "
                        + "turns them into HTTP, and Priming warms that path with a made-up request")
                .check(PRODUCTION);
    }
}
