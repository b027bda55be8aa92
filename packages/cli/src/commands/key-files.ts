/** The file names `qplugin keygen` writes, also named in `qplugin --help`. */
export const PRIVATE_KEY_FILE = 'signing-key.asc';
export const PUBLIC_KEY_FILE = 'gpg.key';
