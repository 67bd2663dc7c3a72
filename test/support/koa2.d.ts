/** `koa2` is the devDependency alias `npm:koa@2.16.4`, for the Koa 2 leg of the test matrix; @types/koa describes both. */
declare module 'koa2' {
  import Koa from 'koa';
  export default Koa;
}
