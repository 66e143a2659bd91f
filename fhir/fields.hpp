#pragma once
// FHIR JSON member names and codes the reader uses, in one place (DSTU2 .. R5). Names as in the FHIR
// specification's resource definitions (hl7.org/fhir/DSTU2, /STU3, /R4, /R5); the version that introduced a name is
// noted where it is not common to all four.

#include <string_view>

namespace nmo::fhir::fields {

using N = std::string_view;

// Resource and Bundle
inline constexpr N kResourceType = "resourceType";
inline constexpr N kId = "id";
inline constexpr N kEntry = "entry";
inline constexpr N kResource = "resource";
inline constexpr N kFullUrl = "fullUrl";
inline constexpr N kContained = "contained";

// Data types
inline constexpr N kCoding = "coding";
inline constexpr N kSystem = "system";
inline constexpr N kCode = "code";
inline constexpr N kDisplay = "display";
inline constexpr N kText = "text";
inline constexpr N kReference = "reference";
inline constexpr N kStart = "start";
inline constexpr N kEnd = "end";
inline constexpr N kValue = "value";
inline constexpr N kUnit = "unit";
inline constexpr N kComparator = "comparator";
inline constexpr N kNumerator = "numerator";
inline constexpr N kDenominator = "denominator";
inline constexpr N kConcept = "concept";  // R5 CodeableReference

// Common resource members
inline constexpr N kStatus = "status";
inline constexpr N kCategory = "category";
inline constexpr N kSubject = "subject";
inline constexpr N kPatient = "patient";  // DSTU2 subject of Condition, MedicationOrder, MedicationStatement

// Condition
inline constexpr N kClinicalStatus = "clinicalStatus";
inline constexpr N kVerificationStatus = "verificationStatus";
inline constexpr N kOnsetDateTime = "onsetDateTime";
inline constexpr N kOnsetPeriod = "onsetPeriod";
inline constexpr N kRecordedDate = "recordedDate";  // R4, R5
inline constexpr N kAssertedDate = "assertedDate";  // STU3
inline constexpr N kDateRecorded = "dateRecorded";  // DSTU2

// MedicationRequest / MedicationOrder / MedicationStatement
inline constexpr N kMedication = "medication";  // R5 CodeableReference
inline constexpr N kMedicationCodeableConcept = "medicationCodeableConcept";
inline constexpr N kMedicationReference = "medicationReference";
inline constexpr N kIntent = "intent";
inline constexpr N kAuthoredOn = "authoredOn";
inline constexpr N kDateWritten = "dateWritten";  // DSTU2 MedicationOrder
inline constexpr N kDateEnded = "dateEnded";      // DSTU2 MedicationOrder
inline constexpr N kDateAsserted = "dateAsserted";
inline constexpr N kEffectiveDateTime = "effectiveDateTime";
inline constexpr N kEffectivePeriod = "effectivePeriod";
inline constexpr N kEffectiveInstant = "effectiveInstant";
inline constexpr N kDispenseRequest = "dispenseRequest";
inline constexpr N kValidityPeriod = "validityPeriod";
inline constexpr N kReasonCode = "reasonCode";
inline constexpr N kReasonReference = "reasonReference";
inline constexpr N kReason = "reason";                                            // R5 CodeableReference
inline constexpr N kReasonCodeableConcept = "reasonCodeableConcept";              // DSTU2 MedicationOrder
inline constexpr N kReasonForUseCodeableConcept = "reasonForUseCodeableConcept";  // DSTU2 MedicationStatement
inline constexpr N kReasonForUseReference = "reasonForUseReference";              // DSTU2 MedicationStatement
inline constexpr N kWasNotTaken = "wasNotTaken";                                  // DSTU2 MedicationStatement
inline constexpr N kTaken = "taken";  // STU3 MedicationStatement: y | n | unk | na
inline constexpr N kDosageInstruction = "dosageInstruction";
inline constexpr N kDosage = "dosage";            // MedicationStatement
inline constexpr N kDoseAndRate = "doseAndRate";  // R4, R5
inline constexpr N kDoseQuantity = "doseQuantity";
inline constexpr N kQuantityQuantity = "quantityQuantity";  // DSTU2 MedicationStatement.dosage
inline constexpr N kRoute = "route";

// Observation
inline constexpr N kIssued = "issued";
inline constexpr N kInterpretation = "interpretation";
inline constexpr N kReferenceRange = "referenceRange";
inline constexpr N kLow = "low";
inline constexpr N kHigh = "high";
inline constexpr N kValueQuantity = "valueQuantity";
inline constexpr N kValueCodeableConcept = "valueCodeableConcept";
inline constexpr N kValueString = "valueString";
inline constexpr N kValueBoolean = "valueBoolean";
inline constexpr N kValueInteger = "valueInteger";
inline constexpr N kValueRatio = "valueRatio";

// Immunization
inline constexpr N kVaccineCode = "vaccineCode";
inline constexpr N kOccurrenceDateTime = "occurrenceDateTime";  // R4 Immunization; R5 Procedure
inline constexpr N kOccurrencePeriod = "occurrencePeriod";      // R5 Procedure
inline constexpr N kDate = "date";                              // DSTU2/STU3 Immunization
inline constexpr N kWasNotGiven = "wasNotGiven";                // DSTU2
inline constexpr N kNotGiven = "notGiven";                      // STU3

// Procedure
inline constexpr N kPerformedDateTime = "performedDateTime";
inline constexpr N kPerformedPeriod = "performedPeriod";
inline constexpr N kNotPerformed = "notPerformed";  // DSTU2
inline constexpr N kNotDone = "notDone";            // STU3

// Patient
inline constexpr N kBirthDate = "birthDate";
inline constexpr N kGender = "gender";

// Resource types
inline constexpr N kBundle = "Bundle";
inline constexpr N kOperationOutcome = "OperationOutcome";
inline constexpr N kCondition = "Condition";
inline constexpr N kMedicationRequest = "MedicationRequest";
inline constexpr N kMedicationOrder = "MedicationOrder";  // DSTU2
inline constexpr N kMedicationStatement = "MedicationStatement";
inline constexpr N kMedicationType = "Medication";
inline constexpr N kObservation = "Observation";
inline constexpr N kImmunization = "Immunization";
inline constexpr N kProcedure = "Procedure";
inline constexpr N kPatientType = "Patient";

// Code systems and codes
inline constexpr N kConditionClinicalSystem = "http://terminology.hl7.org/CodeSystem/condition-clinical";
inline constexpr N kConditionVerificationSystem = "http://terminology.hl7.org/CodeSystem/condition-ver-status";
inline constexpr N kUcumSystem = "http://unitsofmeasure.org";
inline constexpr N kNotTaken = "not-taken";
inline constexpr N kNotDoneCode = "not-done";

}  // namespace nmo::fhir::fields
