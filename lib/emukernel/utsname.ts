// The kernel's utsname (uname(2)): state of the kernel, saved with a checkpoint.

export interface Utsname {
  sysname: string;
  nodename: string;
  release: string;
  version: string;
  machine: string;
  domainname: string;
}

export function defaultUtsname(): Utsname {
  return {
    sysname: 'Linux',
    nodename: 'crfs',
    release: '6.1.0-emukernel',
    version: '#1 SMP emukernel',
    machine: 'riscv64',
    domainname: '(none)',
  };
}
