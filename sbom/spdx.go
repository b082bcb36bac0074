package sbom

// The SPDX 2.3 JSON model: only the fields this package writes, in the
// order they are written. Every list is built in a fixed order, so equal
// inputs give equal bytes.

const (
	spdxVersion = "SPDX-2.3"
	dataLicense = "CC0-1.0"
	docID       = "SPDXRef-DOCUMENT"
	noAssertion = "NOASSERTION"
)

// Relationship types this package writes.
const (
	relDescribes    = "DESCRIBES"
	relContains     = "CONTAINS"
	relDependsOn    = "DEPENDS_ON"
	relDescendantOf = "DESCENDANT_OF"
)

type document struct {
	SPDXVersion       string             `json:"spdxVersion"`
	DataLicense       string             `json:"dataLicense"`
	SPDXID            string             `json:"SPDXID"`
	Name              string             `json:"name"`
	DocumentNamespace string             `json:"documentNamespace"`
	CreationInfo      creationInfo       `json:"creationInfo"`
	Packages          []pkg              `json:"packages"`
	Files             []file             `json:"files,omitempty"`
	Licenses          []extractedLicense `json:"hasExtractedLicensingInfos,omitempty"`
	Relationships     []relationship     `json:"relationships"`
}

type creationInfo struct {
	Created  string   `json:"created"`
	Creators []string `json:"creators"`
}

type pkg struct {
	SPDXID                string            `json:"SPDXID"`
	Name                  string            `json:"name"`
	VersionInfo           string            `json:"versionInfo,omitempty"`
	Supplier              string            `json:"supplier,omitempty"`
	Originator            string            `json:"originator,omitempty"`
	DownloadLocation      string            `json:"downloadLocation"`
	FilesAnalyzed         bool              `json:"filesAnalyzed"`
	VerificationCode      *verificationCode `json:"packageVerificationCode,omitempty"`
	Checksums             []checksum        `json:"checksums,omitempty"`
	SourceInfo            string            `json:"sourceInfo,omitempty"`
	LicenseConcluded      string            `json:"licenseConcluded"`
	LicenseDeclared       string            `json:"licenseDeclared"`
	CopyrightText         string            `json:"copyrightText"`
	Comment               string            `json:"comment,omitempty"`
	ExternalRefs          []externalRef     `json:"externalRefs,omitempty"`
	PrimaryPackagePurpose string            `json:"primaryPackagePurpose,omitempty"`
	BuiltDate             string            `json:"builtDate,omitempty"`
}

type verificationCode struct {
	Value string `json:"packageVerificationCodeValue"`
}

type checksum struct {
	Algorithm string `json:"algorithm"`
	Value     string `json:"checksumValue"`
}

type externalRef struct {
	Category string `json:"referenceCategory"`
	Type     string `json:"referenceType"`
	Locator  string `json:"referenceLocator"`
}

type file struct {
	SPDXID           string     `json:"SPDXID"`
	FileName         string     `json:"fileName"`
	FileTypes        []string   `json:"fileTypes,omitempty"`
	Checksums        []checksum `json:"checksums"`
	LicenseConcluded string     `json:"licenseConcluded"`
	CopyrightText    string     `json:"copyrightText"`
}

type extractedLicense struct {
	LicenseID     string `json:"licenseId"`
	ExtractedText string `json:"extractedText"`
}

type relationship struct {
	Element string `json:"spdxElementId"`
	Type    string `json:"relationshipType"`
	Related string `json:"relatedSpdxElement"`
}

func purlRef(purl string) externalRef {
	return externalRef{Category: "PACKAGE-MANAGER", Type: "purl", Locator: purl}
}

func cpeRef(cpe string) externalRef {
	return externalRef{Category: "SECURITY", Type: "cpe23Type", Locator: cpe}
}
