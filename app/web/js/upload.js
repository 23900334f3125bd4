// Upload a file with the presigned POST the API returned: its `fields` first, then the file as the last
// form field `file` (S3 ignores fields after the file). XMLHttpRequest because fetch has no upload progress.

export class UploadError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'UploadError';
    this.status = status;
  }
}

/** S3's XML error answer -> "Code: Message" (plain text; it is shown with textContent). */
export function storageErrorMessage(status, body) {
  const text = String(body ?? '');
  const code = /<Code>([^<]{1,100})<\/Code>/.exec(text)?.[1];
  const message = /<Message>([^<]{1,500})<\/Message>/.exec(text)?.[1];
  if (code || message) return [code, message].filter(Boolean).join(': ');
  return `the storage service answered HTTP ${status}`;
}

/**
 * POST `file` with `upload` ({url, fields}); onProgress(fraction 0..1). Resolves on 2xx.
 * Returns {promise, abort}.
 */
export function postPresigned(upload, file, onProgress = () => {}, XHR = XMLHttpRequest) {
  const xhr = new XHR();
  const promise = new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(upload.fields ?? {})) form.append(name, value);
    form.append('file', file);
    xhr.open('POST', upload.url);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve(xhr.status);
      } else {
        reject(new UploadError(xhr.status, storageErrorMessage(xhr.status, xhr.responseText)));
      }
    });
    xhr.addEventListener('error', () => {
      reject(new UploadError(0, 'the upload did not reach the storage service (network or CORS)'));
    });
    xhr.addEventListener('abort', () => reject(new UploadError(0, 'the upload was cancelled')));
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}
