/* expect: 4: probes bad:request_start and bad:request__start both give the macro BAD_REQUEST_START */
provider bad {
	probe request__start();
	probe request_start();
};
